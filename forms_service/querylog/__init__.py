"""The monthly query-log duty of 規範 六(四)2: query events from the agencies' business systems."""
