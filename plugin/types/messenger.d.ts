/**
 * Thunderbird's WebExtension API (Manifest V3, Thunderbird >= 128): exactly the
 * parts this plugin calls, for `tsc --checkJs`. Not shipped in the .xpi.
 *
 * Written here rather than taken from npm: @types/thunderbird-webext-browser
 * (127.0.0, last updated July 2024) describes Thunderbird 127, not the 128 ESR this
 * plugin starts at, and types `compose.onBeforeSend` listeners as returning the
 * answer itself, not the promise of one that Thunderbird waits for (the gate's
 * listener is async). Reference: https://webextension-api.thunderbird.net/en/mv3/
 */

declare namespace messenger {
  /** An event: listeners are called with the event's arguments. */
  interface WebExtEvent<L extends (...args: any[]) => unknown> {
    addListener(listener: L): void;
    removeListener(listener: L): void;
    hasListener(listener: L): boolean;
  }

  namespace runtime {
    /** A long-lived connection, here to a native messaging host. */
    interface Port {
      name: string;
      /** Set when the other end went away with an error (for a native host: it is
       * missing, crashed or exited). */
      error?: { message: string } | null;
      onMessage: WebExtEvent<(message: unknown, port: Port) => void>;
      /** Fired when the other end closes the port, never for `disconnect()`. */
      onDisconnect: WebExtEvent<(port: Port) => void>;
      /** Throws when the port is already disconnected. */
      postMessage(message: unknown): void;
      disconnect(): void;
    }
    interface MessageSender {
      id?: string;
      url?: string;
      tab?: tabs.Tab;
    }
    function connectNative(application: string): Port;
    function sendNativeMessage(application: string, message: unknown): Promise<unknown>;
    function getURL(path: string): string;
    function sendMessage(message: unknown): Promise<any>;
    /** A listener's promise (or value) is the answer to `sendMessage`. */
    const onMessage: WebExtEvent<(message: any, sender: MessageSender) => unknown>;
  }

  namespace storage {
    interface StorageArea {
      get(keys?: string | string[] | Record<string, unknown> | null): Promise<Record<string, any>>;
      set(items: Record<string, unknown>): Promise<void>;
    }
    /** Enterprise policy; `get` rejects when no managed storage manifest exists. */
    const managed: Pick<StorageArea, "get">;
    const local: StorageArea;
  }

  namespace tabs {
    /** A tab as the plugin's events give it (compose and message tabs have an id). */
    interface Tab {
      id: number;
      windowId?: number;
      /** "messageCompose", "messageDisplay", "mail", "content", ... */
      type?: string;
      url?: string;
      title?: string;
      active?: boolean;
    }
    function query(queryInfo: {
      active?: boolean;
      currentWindow?: boolean;
      windowId?: number;
      type?: string;
    }): Promise<Tab[]>;
    const onCreated: WebExtEvent<(tab: Tab) => void>;
  }

  namespace windows {
    interface Window {
      id?: number;
      type?: string;
      tabs?: tabs.Tab[];
    }
    function create(createData: {
      url?: string | string[];
      type?: "normal" | "popup";
      width?: number;
      height?: number;
      left?: number;
      top?: number;
    }): Promise<Window>;
    function remove(windowId: number): Promise<void>;
    const onRemoved: WebExtEvent<(windowId: number) => void>;
  }

  namespace compose {
    /** One recipient: "Name <addr>", or an address book contact or mailing list. */
    type ComposeRecipient = string | { id: string; type: "contact" | "mailingList" };
    type ComposeRecipientList = ComposeRecipient | ComposeRecipient[];
    interface ComposeDetails {
      identityId?: string;
      from?: string;
      to?: ComposeRecipientList;
      cc?: ComposeRecipientList;
      bcc?: ComposeRecipientList;
      replyTo?: ComposeRecipientList;
      subject?: string;
      type?: "new" | "reply" | "forward" | "redirect" | "draft" | "template";
      relatedMessageId?: number;
      body?: string;
      plainTextBody?: string;
      isPlainText?: boolean;
      /** Headers starting with "X-", as {name, value} pairs. */
      customHeaders?: { name: string; value: string }[];
    }
    /** What an onBeforeSend listener answers: send (as changed), or cancel. */
    interface BeforeSendAnswer {
      cancel?: boolean;
      details?: ComposeDetails;
    }
    function beginNew(details?: ComposeDetails): Promise<tabs.Tab>;
    function getComposeDetails(tabId: number): Promise<ComposeDetails>;
    function setComposeDetails(tabId: number, details: ComposeDetails): Promise<void>;
    /** Thunderbird waits for the listener's promise before it sends. */
    const onBeforeSend: WebExtEvent<
      (
        tab: tabs.Tab,
        details: ComposeDetails,
      ) => BeforeSendAnswer | void | Promise<BeforeSendAnswer | void>
    >;
  }

  namespace messages {
    interface MessageHeader {
      id: number;
      author: string;
      recipients: string[];
      ccList: string[];
      bccList: string[];
      subject: string;
      headerMessageId: string;
      date?: Date;
    }
    interface MessageList {
      id: string | null;
      messages: MessageHeader[];
    }
    function get(messageId: number): Promise<MessageHeader>;
  }

  namespace messageDisplay {
    /** MV3: the messages shown in a tab. */
    function getDisplayedMessages(tabId: number): Promise<messages.MessageList>;
  }

  namespace messageDisplayAction {
    const onClicked: WebExtEvent<
      (tab: tabs.Tab, info: { modifiers: string[]; button?: number }) => void
    >;
  }

  namespace identities {
    interface MailIdentity {
      id: string;
      accountId?: string;
      email: string;
      name: string;
    }
    function get(identityId: string): Promise<MailIdentity | null>;
  }

  namespace addressBooks {
    interface AddressBookNode {
      id: string;
      parentId?: string;
      type: "addressBook" | "contact" | "mailingList";
      name?: string;
      readOnly?: boolean;
    }
    interface ContactNode {
      id: string;
      parentId?: string;
      type: "contact";
      vCard?: string;
      properties?: Record<string, string>;
    }
    interface MailingListNode {
      id: string;
      parentId?: string;
      type: "mailingList";
      name: string;
      nickName?: string;
      description?: string;
    }
    function list(complete?: boolean): Promise<AddressBookNode[]>;
    namespace mailingLists {
      function list(parentId: string): Promise<MailingListNode[]>;
      function listMembers(id: string): Promise<ContactNode[]>;
    }
    namespace contacts {
      function get(id: string): Promise<ContactNode>;
    }
  }

  namespace i18n {
    function getMessage(messageName: string, substitutions?: string | string[]): string;
  }
}

/** The same API under its WebExtension name. */
declare const browser: typeof messenger;
