// The engine worker: the same wasm as the page, started here so the models never block the
// page. host.rs passes the hashed file names (from Trunk's ponder-boot tag) in the URL.
const params = new URL(self.location.href).searchParams;
// Remember the GPU devices the engine asks for, so the end-to-end tests can destroy one
// mid-run (a lost device) the way a driver reset would.
if (self.GPUAdapter) {
  const request = GPUAdapter.prototype.requestDevice;
  self.ponderDevices = [];
  GPUAdapter.prototype.requestDevice = async function (...args) {
    const device = await request.apply(this, args);
    self.ponderDevices.push(device);
    return device;
  };
}
const { default: init } = await import(new URL(params.get('js'), self.location.href).href);
await init({ module_or_path: new URL(params.get('wasm'), self.location.href).href });
