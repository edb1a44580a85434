// The options page: the plugin's own policy; enterprise policy fields are read-only.
import { NativeHost } from "../modules/native.js";
import { OptionsPage } from "../modules/options_page.js";

new OptionsPage({ browser, document, host: new NativeHost(browser) }).show();
