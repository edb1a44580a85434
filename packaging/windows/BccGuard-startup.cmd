@echo off
rem Starts BccGuard at login (written by BccGuard; untick "Start at login" to remove it).
start "" {command}
