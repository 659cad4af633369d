#!/usr/bin/env node
'use strict';
const fs = require('fs');
const fsp = require('node:fs/promises');
const a = require('./a');
const lib = require('./lib');
const data = require('./data.json');
const internal = require('#internal');
const self = require('proj');
const main = require('pkg-main');
const exp = require('pkg-exports');
const feat = require('pkg-exports/features/x');
const util = require('pkg-exports/util.js');
const esm = require('esm-only');
const ws = require('@ws/lib');
const native = require('native-pkg');
const name = 'x';
const dyn = require(name);
const missing = require('./nope');
const str = "require('dev-only')"; // require('dev-only')
/* require('dev-only') */
const re = /require\('dev-only'\)/;
const tpl = `${require('./tpl-dep')} require('dev-only')`;

exports.handler = async () => {
	const lazy = await import('./lazy.mjs');
	return { a, lib, data, internal, self, main, exp, feat, util, esm, ws,
		native, dyn, missing, str, re, tpl, lazy, fs, fsp };
};
