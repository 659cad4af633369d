"""Run with: python3 -m unittest  (standard library only)."""
import types
import unittest

from worker import handler


class WorkerTest(unittest.TestCase):
    def test_a_scheduled_call_with_no_items_does_nothing(self):
        res = handler({"source": "schedule"}, types.SimpleNamespace(function_name="tick"))
        self.assertEqual(res["processed"], 0)
        self.assertEqual(res["function"], "tick")

    def test_items_in_the_event_are_processed(self):
        res = handler({"items": ["a", "b"]}, None)
        self.assertEqual(res["processed"], 2)
        self.assertEqual(res["results"][1], {"item": "b", "done": True})


if __name__ == "__main__":
    unittest.main()
