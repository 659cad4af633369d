module.exports = { name: "ws-util", ms: require("ms-lite") };
