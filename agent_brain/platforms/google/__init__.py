"""Google Ads API (REST) behind `PlatformAdapter`: GAQL over `googleAds:searchStream`, `:mutate`, errors, sandbox."""
