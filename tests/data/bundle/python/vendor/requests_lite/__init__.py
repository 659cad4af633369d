NAME = "requests_lite"
