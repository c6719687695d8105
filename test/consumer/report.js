// Shared by the consumer pages: runs a page's work, prints its lines into #log, and marks the end
// (data-status "done" or "error") so that the test knows when to read the page.
export function report(work) {
  const log = document.querySelector('#log');
  const print = (line) => {
    log.textContent += `${line}\n`;
  };
  work(print).then(
    () => {
      document.body.dataset.status = 'done';
    },
    (error) => {
      print(`error ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      document.body.dataset.status = 'error';
    },
  );
}
