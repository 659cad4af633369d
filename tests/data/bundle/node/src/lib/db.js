module.exports = { table: "users" };
