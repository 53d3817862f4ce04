// Layer: node:fs and node:path only, which most applications load anyway.
require("node:fs");
require("node:path");
