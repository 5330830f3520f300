// @middy/core 6 ships ES modules only. Node >= 20.19 loads it with its native require (require(esm)), but jest's
// module loader cannot, so jest maps '@middy/core' here and this hands over to Node's own require. The real package
// runs; nothing is faked.
module.exports = process.getBuiltinModule('node:module').createRequire(__filename)('@middy/core');
