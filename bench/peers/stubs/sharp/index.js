// Stub of sharp for the GLiNER.js peer: @xenova/transformers loads it for image pipelines only.
'use strict';
module.exports = function sharp() {
  throw new Error('sharp is stubbed in bench/peers: image pipelines are not available');
};
