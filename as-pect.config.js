// as-pect runs the AssemblyScript kernel suites in test/assembly against their scalar _ref twins.
// ASP_ENTRIES narrows the run to one glob while working on a single kernel.
export default {
  entries: [process.env.ASP_ENTRIES || "test/assembly/**/*.spec.ts"],
  include: ["test/assembly/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
