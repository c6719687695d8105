/** Small DOM helpers of the demo page, and the trainer the sections share. */
import type { TrainerClient } from 'hephaestus-web/worker';

/** The trainer the sections use (replaced when the visitor switches to the CPU), and what the next run starts from. */
export interface TrainerHolder {
  readonly trainer: TrainerClient;
  /**
   * An imported checkpoint loaded as the base of the next run: the corpus is then built with its
   * tokenizer, and Start trains it instead of a fresh preset. Absent: a fresh preset.
   */
  base?: string;
}

/** The element with `id` (the page's markup defines every id the code uses). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`demo page: no element #${id}`);
  return element as T;
}

/** A new element with text and attributes. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, text = '', attributes: Record<string, string> = {}): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  element.textContent = text;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

/** The numeric value of an input, checked: a readable error names the field. */
export function numberField(id: string, label: string, integer = true): number {
  const input = byId<HTMLInputElement>(id);
  const value = Number(input.value);
  if (input.value.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new Error(`${label}: "${input.value}" is not ${integer ? 'a whole number' : 'a number'}`);
  }
  return value;
}

/** Shows an error message in a section's alert region (empty clears it). */
export function showError(id: string, error: unknown): void {
  byId(id).textContent = error === undefined ? '' : messageOf(error);
}

/** The message of a thrown value (the worker's errors arrive as the library's error classes). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Bytes as KB / MB / GB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Seconds as `1 h 02 min`, `3 min 05 s` or `12 s`. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}

/** Makes a drop zone: files dropped on it, or chosen with its file input (Enter / Space / click). */
export function dropZone(zone: HTMLElement, input: HTMLInputElement, onFiles: (files: File[]) => void): void {
  const open = () => input.click();
  zone.addEventListener('click', (event) => {
    if (event.target !== input) open();
  });
  zone.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      open();
    }
  });
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length > 0) onFiles(files);
  });
  input.addEventListener('change', () => {
    const files = [...(input.files ?? [])];
    input.value = '';
    if (files.length > 0) onFiles(files);
  });
}

/** A drawing that runs at most once per animation frame; `flush` draws what is pending now. */
export interface FrameDraw<T> {
  (value: T): void;
  flush(): void;
}

/**
 * Runs `draw` once per animation frame at most, with the latest value given since the last frame:
 * events that come faster than the screen refreshes cost one DOM update, not one each.
 */
export function perFrame<T>(draw: (value: T) => void): FrameDraw<T> {
  let pending: { value: T } | undefined;
  const flush = () => {
    if (!pending) return;
    const { value } = pending;
    pending = undefined;
    draw(value);
  };
  const schedule = (value: T) => {
    if (pending) {
      pending.value = value;
      return;
    }
    pending = { value };
    requestAnimationFrame(flush);
  };
  return Object.assign(schedule, { flush });
}
