// A virtualised list of fixed-height rows.
//
// A 10,000-step session must open and scroll smoothly, so only the rows in
// view (plus a few either side) exist in the DOM; a spacer gives the scroll
// area the height of all of them.

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
    this.rows = new Map(); // index -> element
    this.spacer = h("div", { class: "vlist-spacer" });
    this.window = h("div", { class: "vlist-window" });
    this.spacer.appendChild(this.window);
    viewport.appendChild(this.spacer);
    this.onScroll = throttleFrame(() => this.paint());
    viewport.addEventListener("scroll", this.onScroll, { passive: true });
    this.resizeObserver = new ResizeObserver(() => this.onScroll());
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
    const top = this.viewport.scrollTop;
    const height = this.viewport.clientHeight || 600;
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
    const view = this.viewport.clientHeight || 600;
    const current = this.viewport.scrollTop;
    if (top < current || top + this.rowHeight > current + view) {
      this.viewport.scrollTop = Math.max(0, top - view / 2 + this.rowHeight / 2);
    }
    this.paint();
  }

  destroy() {
    this.viewport.removeEventListener("scroll", this.onScroll);
    this.resizeObserver.disconnect();
  }
}
