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

// @grafana/ui's Combobox measures option text on a canvas and virtualises its list from the
// list element's size; jsdom has neither. A fixed-width text measure and a non-zero element
// size let the option lists render in tests.
HTMLCanvasElement.prototype.getContext = function getContext() {
  return {
    font: '',
    measureText: (text) => ({ width: String(text).length * 8 }),
  };
};
for (const [prop, size] of [
  ['clientHeight', 400],
  ['clientWidth', 400],
]) {
  Object.defineProperty(HTMLElement.prototype, prop, { configurable: true, get: () => size });
}
if (typeof global.IntersectionObserver === 'undefined') {
  global.IntersectionObserver = class IntersectionObserver {
    observe() {}
    unobserve() {}
    disconnect() {}
    takeRecords() {
      return [];
    }
  };
}

// The editor tests wait for pickers and resource answers; on a loaded 2-core CI machine
// that can take longer than Testing Library's default 1 s.
require('@testing-library/react').configure({ asyncUtilTimeout: 5000 });
