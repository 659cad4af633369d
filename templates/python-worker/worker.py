"""A scheduled worker in ferry's portable shape.

Called with the schedule's event (or whatever `ferry invoke tick --data`
sends); the result is any JSON value. Put the periodic job in work().
"""


def work(items):
    return [{"item": item, "done": True} for item in items]


def handler(event, context):
    event = event or {}
    items = event.get("items") if isinstance(event.get("items"), list) else []
    results = work(items)
    print("processed %d item(s)" % len(results))
    return {
        "processed": len(results),
        "results": results,
        "function": getattr(context, "function_name", None),
    }
