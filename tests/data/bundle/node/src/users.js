const express = require("express-lite");
const x = require("@scope/x");
const util = require("ws-util");
exports.handler = async (event) => ({ statusCode: 200, body: express.name + x.name + util.name });
