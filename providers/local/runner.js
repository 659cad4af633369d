/*
 * runner.js - ferry's local provider runs one Node handler with this script
 * (embedded in the ferry binary, written next to the local store).
 *
 *   node --max-old-space-size=MB runner.js /abs/handler/file.js exportName
 *
 * The event (JSON) arrives on stdin. The result goes to fd 1 as one line of
 * JSON; everything the handler prints (console.log, process.stdout) goes to
 * stderr so it can never corrupt the result. A handler that throws or
 * rejects gives {"errorType", "errorMessage", "stackTrace"} on fd 1 and
 * exit status 1. Handlers may be async, sync, promise-returning or take a
 * callback as third argument; ES modules (.mjs, or "type": "module") are
 * loaded with import(). The process exits as soon as the result is written,
 * like a frozen Lambda sandbox: pending timers do not delay the answer.
 *
 * Warm mode (`ferry serve`), with a third argument `--warm`: the handler
 * is loaded once and the process answers requests until stdin ends. Each
 * request is one line on stdin, {"event": E, "deadline": MS} (MS: epoch
 * milliseconds), and gets one line on fd 3: {"result": R}, or the error
 * object above, with "exit": true when the process is about to exit (an
 * uncaught exception, a module that does not load). Requests are handled
 * one at a time.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const url = require('url');

const handlerFile = process.argv[2];
const exportName = process.argv[3] || 'handler';
const warm = process.argv[4] === '--warm';
const codeDir = process.cwd();

let done = false;

function emit(obj) {
	let text = JSON.stringify(obj);
	if (text === undefined)
		text = 'null';
	fs.writeSync(1, text + '\n');
}

function relative(line) {
	return line.split(codeDir + path.sep).join('')
		.split(url.pathToFileURL(codeDir).href + '/').join('');
}

function describe(e) {
	let type = 'Error';
	let message = String(e);
	let stack = [];
	if (e !== null && typeof e === 'object') {
		type = e.name || (e.constructor && e.constructor.name) || 'Error';
		message = e.message !== undefined ? String(e.message) : String(e);
		if (typeof e.stack === 'string')
			stack = e.stack.split('\n').slice(1)
				.map((l) => relative(l.trim()))
				.filter((l) => l && !l.includes('runner.js'));
	}
	return { errorType: type, errorMessage: message, stackTrace: stack };
}

function fail(e) {
	if (done)
		return;
	done = true;
	try {
		emit(describe(e));
	} finally {
		process.exit(1);
	}
}

/* Keep fd 1 for the result: the handler's prints go to stderr. */
const toStderr = (...args) => process.stderr.write(
	require('util').format(...args) + '\n');
console.log = toStderr;
console.info = toStderr;
console.debug = toStderr;
console.trace = (...args) => toStderr(new Error(require('util').format(...args)).stack);
process.stdout.write = process.stderr.write.bind(process.stderr);

if (!warm) {
	process.on('uncaughtException', fail);
	process.on('unhandledRejection', fail);
}

async function load() {
	const href = url.pathToFileURL(handlerFile).href;
	if (handlerFile.endsWith('.mjs'))
		return import(href);
	try {
		return require(handlerFile);
	} catch (e) {
		if (e && (e.code === 'ERR_REQUIRE_ESM' ||
			  e.code === 'ERR_REQUIRE_ASYNC_MODULE'))
			return import(href);
		throw e;
	}
}

function pick(mod) {
	if (mod && typeof mod[exportName] === 'function')
		return mod[exportName];
	if (mod && mod.default && typeof mod.default[exportName] === 'function')
		return mod.default[exportName];
	const err = new Error(`${path.relative(codeDir, handlerFile)} does not ` +
			      `export a function '${exportName}'`);
	err.name = 'Runtime.HandlerNotFound';
	throw err;
}

function context() {
	const deadline = Number(process.env.FERRY_DEADLINE_MS) || 0;
	return {
		functionName: process.env.FERRY_FUNCTION_NAME,
		functionVersion: '$LATEST',
		memoryLimitInMB: String(process.env.FERRY_FUNCTION_MEMORY),
		awsRequestId: require('crypto').randomUUID(),
		callbackWaitsForEmptyEventLoop: false,
		getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
	};
}

/* Run the handler once; the result as JSON text. */
async function call(fn, event) {
	const result = await new Promise((resolve, reject) => {
		const callback = (err, res) => (err ? reject(err) : resolve(res));
		let r;
		try {
			r = fn(event, context(), callback);
		} catch (e) {
			reject(e);
			return;
		}
		if (fn.length < 3 || (r && typeof r.then === 'function'))
			Promise.resolve(r).then(resolve, reject);
	});
	let text;
	try {
		text = JSON.stringify(result);
	} catch (e) {
		const err = new Error(`the result cannot be turned into JSON: ${e.message}`);
		err.name = 'Runtime.MarshalError';
		throw err;
	}
	return text === undefined ? 'null' : text;
}

async function main() {
	let event;
	const input = fs.readFileSync(0, 'utf8');
	try {
		event = input.trim() === '' ? {} : JSON.parse(input);
	} catch (e) {
		const err = new Error(`the event is not JSON: ${e.message}`);
		err.name = 'Runtime.InvalidEvent';
		throw err;
	}
	const text = await call(pick(await load()), event);
	done = true;
	fs.writeSync(1, text + '\n');
	process.exit(0);
}

/* Warm mode: one request per stdin line, one answer per fd 3 line. */
function serve() {
	let fn = null;
	let busy = false;
	let pending = '';
	const queue = [];

	const answer = (text) => fs.writeSync(3, text + '\n');
	const die = (e) => {
		try {
			answer(JSON.stringify(Object.assign(describe(e),
							    { exit: true })));
		} finally {
			process.exit(1);
		}
	};
	/* an error outside any handler call ends the process, as on Lambda */
	process.on('uncaughtException', die);
	process.on('unhandledRejection', die);

	async function handle(line) {
		let req;
		try {
			req = JSON.parse(line);
		} catch (e) {
			const err = new Error(`the request is not JSON: ${e.message}`);
			err.name = 'Runtime.InvalidEvent';
			answer(JSON.stringify(describe(err)));
			return;
		}
		process.env.FERRY_DEADLINE_MS = String(req.deadline || 0);
		try {
			if (!fn)
				fn = pick(await load());
		} catch (e) {
			die(e);
			return;
		}
		try {
			const text = await call(fn, req.event === undefined ?
						{} : req.event);
			answer('{"result":' + text + '}');
		} catch (e) {
			answer(JSON.stringify(describe(e)));
		}
	}

	async function drain() {
		if (busy)
			return;
		busy = true;
		while (queue.length)
			await handle(queue.shift());
		busy = false;
	}

	process.stdin.setEncoding('utf8');
	process.stdin.on('data', (chunk) => {
		pending += chunk;
		let nl;
		while ((nl = pending.indexOf('\n')) >= 0) {
			const line = pending.slice(0, nl);
			pending = pending.slice(nl + 1);
			if (line.trim() !== '')
				queue.push(line);
		}
		drain();
	});
	process.stdin.on('end', () => process.exit(0));
}

if (warm)
	serve();
else
	main().catch(fail);
