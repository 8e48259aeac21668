// Starts the app without an inline script, so the Content-Security-Policy can forbid them:
// Trunk writes the hashed file names into the <meta name="ponder-boot"> it emits.
const boot = document.querySelector('meta[name=ponder-boot]');
const { default: init } = await import(boot.dataset.js);
await init({ module_or_path: boot.dataset.wasm });
