"""The Meta (Facebook / Instagram) catalog: scheduled data feeds (CSV, TSV, RSS XML) and the
``items_batch`` Graph API. Field names are the data-feed names
(https://www.facebook.com/business/help/120325381656392); the Graph API renames a few of them."""
