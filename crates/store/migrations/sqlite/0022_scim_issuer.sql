-- Who issued an integration's current token (issue #16): a token a reseller issued for its
-- customer stops working while the customer's account privacy keeps that reseller out, as the
-- reseller's own API calls do; one the customer's Company Admin issued keeps working.
ALTER TABLE scim_settings ADD COLUMN issued_by_reseller INTEGER NOT NULL DEFAULT 0;
