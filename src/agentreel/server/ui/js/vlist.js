// A virtualised list of fixed-height rows.
//
// A 10,000-step session must open and scroll smoothly, so only the rows in
// view (plus a few either side) exist in the DOM; a spacer gives the scroll
// area the height of all of them.
//
// The list never reads layout while drawing: the viewport's height comes
// from a ResizeObserver and its scroll position from scroll events, so
// drawing rows does not force the browser to lay the page out (on the first
// render that was done three times over, before anything was painted).

import { h, throttleFrame } from "./dom.js";

export class VirtualList {
  /**
   * @param {HTMLElement} viewport  the scrolling element (overflow: auto)
   * @param {object} options  rowHeight (px), renderRow(index) -> element, overscan
   */
  constructor(viewport, { rowHeight, renderRow, overscan = 10 }) {
    this.viewport = viewport;
    this.rowHeight = rowHeight;
    this.renderRow = renderRow;
    this.overscan = overscan;
    this.count = 0;
    this.top = 0; // the viewport's scrollTop, as last seen or set
    // Until the observer reports, assume the window's height: enough rows.
    this.height = window.innerHeight;
    this.rows = new Map(); // index -> element
    this.spacer = h("div", { class: "vlist-spacer" });
    this.window = h("div", { class: "vlist-window" });
    this.spacer.appendChild(this.window);
    viewport.appendChild(this.spacer);
    this.onScroll = throttleFrame(() => {
      this.top = this.viewport.scrollTop;
      this.paint();
    });
    viewport.addEventListener("scroll", this.onScroll, { passive: true });
    this.resizeObserver = new ResizeObserver((entries) => {
      const box = entries[entries.length - 1].contentRect;
      if (box.height > 0) this.height = box.height;
      this.paint();
    });
    this.resizeObserver.observe(viewport);
  }

  setCount(count) {
    this.count = count;
    this.spacer.style.height = `${count * this.rowHeight}px`;
    this.refresh();
  }

  /** Rebuild every visible row (data changed). */
  refresh() {
    this.rows.clear();
    this.window.replaceChildren();
    this.first = -1;
    this.paint();
  }

  paint() {
    const top = this.top;
    const height = this.height;
    const first = Math.max(0, Math.floor(top / this.rowHeight) - this.overscan);
    const last = Math.min(this.count, Math.ceil((top + height) / this.rowHeight) + this.overscan);
    if (first === this.first && last === this.last) return;
    this.first = first;
    this.last = last;
    for (const [index, el] of this.rows) {
      if (index < first || index >= last) {
        el.remove();
        this.rows.delete(index);
      }
    }
    // Rows are laid out in normal flow inside a window moved to the first one,
    // so they are (re)inserted in order.
    const fragment = [];
    for (let i = first; i < last; i++) {
      let el = this.rows.get(i);
      if (!el) {
        el = this.renderRow(i);
        this.rows.set(i, el);
      }
      fragment.push(el);
    }
    this.window.replaceChildren(...fragment);
    this.window.style.transform = `translateY(${first * this.rowHeight}px)`;
  }

  /** Scroll so that row index is visible (centred when it was far away). */
  scrollToIndex(index) {
    if (index < 0 || index >= this.count) return;
    const top = index * this.rowHeight;
    const view = this.height;
    const current = this.top;
    if (top < current || top + this.rowHeight > current + view) {
      this.top = Math.max(0, Math.min(top - view / 2 + this.rowHeight / 2,
        this.count * this.rowHeight - view));
      this.viewport.scrollTop = this.top;
    }
    this.paint();
  }

  destroy() {
    this.viewport.removeEventListener("scroll", this.onScroll);
    this.resizeObserver.disconnect();
  }
}
