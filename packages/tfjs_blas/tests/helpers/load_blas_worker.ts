/** A worker that loads OpenBLAS in its own module instance (as a new test module does) and says how many threads it pinned. */
import { loadBlas } from "../../blas.ts";

self.onmessage = () => {
  const blas = loadBlas();
  self.postMessage({ threads: blas?.threads ?? null });
};
