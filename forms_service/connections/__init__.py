"""Connections (介接案): one arrangement between an 申請介接單位, its 資料使用單位 and a system, over
its whole life — its records by kind, its 使用期限, its state, and what it owes (``due``)."""
