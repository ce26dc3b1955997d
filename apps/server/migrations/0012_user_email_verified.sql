-- whether a person's address was vouched for by someone other than whoever created the account.
-- true: an identity provider verified it at sign-in, or the operator entered it at setup (as before).
-- false: the account was created with a passkey through an invitation link. The link is mailed to the
-- address, but the inviter is shown it once too, so holding it does not prove that the address is
-- yours. Such an account is never joined to an identity provider's account by the address alone: that
-- would let an inviter create an account for someone else's address, keep a passkey on it, and read
-- along once its real owner signs in through their provider (account pre-hijacking).
ALTER TABLE users ADD COLUMN email_verified boolean NOT NULL DEFAULT true;
