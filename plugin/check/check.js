// The compose toolbar button: the manual check, and a button that converts in place.
import { CheckPage } from "../modules/check_page.js";
import { NativeHost } from "../modules/native.js";

const page = new CheckPage({
  browser,
  document,
  host: new NativeHost(browser),
  close: () => window.close(),
});
page.show();
