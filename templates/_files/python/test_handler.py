"""Unit test of handler.py: python3 -m unittest"""

import os
import unittest
from unittest import mock

from handler import handler


class HandlerTest(unittest.TestCase):
    def test_greets_by_name(self):
        cases = [
            ({"name": "World"}, "Hello, World!"),
            ({"name": " Ada "}, "Hello, Ada!"),
            ({}, "Hello, World!"),
            ([1, 2], "Hello, World!"),
            (None, "Hello, World!"),
        ]
        for event, want in cases:
            with self.subTest(event=event):
                self.assertEqual(handler(event, None), {"message": want})

    def test_greeting_from_the_environment(self):
        with mock.patch.dict(os.environ, {"GREETING": "Hi"}):
            self.assertEqual(handler({"name": "Ada"}, None), {"message": "Hi, Ada!"})


if __name__ == "__main__":
    unittest.main()
