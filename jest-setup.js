// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';

// React 19 (react-dom/server, pulled in by @grafana/ui) needs MessageChannel, which jsdom does
// not implement (jsdom/jsdom#2448). A timer-based stand-in keeps no handle open after a test.
if (typeof global.MessageChannel === 'undefined') {
  class MessagePortMock {
    onmessage = null;
    other = null;
    postMessage(data) {
      setTimeout(() => this.other?.onmessage?.({ data }), 0);
    }
    start() {}
    close() {}
    addEventListener() {}
    removeEventListener() {}
  }
  class MessageChannelMock {
    constructor() {
      this.port1 = new MessagePortMock();
      this.port2 = new MessagePortMock();
      this.port1.other = this.port2;
      this.port2.other = this.port1;
    }
  }
  global.MessageChannel = MessageChannelMock;
}
