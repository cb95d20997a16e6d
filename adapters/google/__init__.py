"""Google Merchant Center: scheduled feed files (RSS 2.0 with the g: namespace, TSV) and the
Merchant API v1 ``productInputs``. Field names are the feed's snake_case attribute names
(https://support.google.com/merchants/answer/7052112); the API spells them in camelCase."""
