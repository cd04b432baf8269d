"""Who signs: the keys each party holds on the service's side (an agency's 機關憑證 on an HSM or a
card reader, a PKCS#12 file, the data provider's, the service's own seal) and the certificates of
the people who sign with their own cards in the browser, bound to their accounts."""
