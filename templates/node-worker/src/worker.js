'use strict';

/*
 * A scheduled worker in ferry's portable shape: called with the schedule's
 * event (or whatever `ferry invoke tick --data` sends); the result is any
 * JSON value. Put the periodic job in work().
 */
async function work(items) {
	return items.map((item) => ({ item, done: true }));
}

exports.handler = async (event = {}, context = {}) => {
	const items = Array.isArray(event.items) ? event.items : [];
	const results = await work(items);
	console.log(`processed ${results.length} item(s)`);
	return {
		processed: results.length,
		results,
		function: context.functionName || null,
	};
};
