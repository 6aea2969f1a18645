// Placeholder until the AssemblyScript kernels land.
console.log('no kernels yet');
