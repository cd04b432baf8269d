"""Forms Service: fill, convert, sign and archive the forms of 使用商工資料資通安全管理規範."""

__version__ = "0.1.0"
