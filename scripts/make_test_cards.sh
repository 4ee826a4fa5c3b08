#!/usr/bin/env bash
# Generates the test JPKI CA and software My Number cards in fixtures/cards/ (RSA-2048, as on
# real cards). The outputs are committed so tests never spend time on RSA key generation; run
# this again only to change the cards. Test keys only: never use them for anything real.
#
# Keys already in a folder are kept (and a CA whose certificate exists): running this again
# signs every card's certificates again with the extensions below, so they are as large as real JPKI ones
# (1.5-1.8 KB) and a short-APDU reader needs as many READ BINARY as on a real card.
set -euo pipefail
cd "$(dirname "$0")/../fixtures/cards"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat > "$work/ca.cnf" <<CNF
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $work
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
# What real JPKI certificates carry besides the key: policies with a notice, the issuer's
# directory name, two CRL locations and an OCSP responder (hosts are test names).
[ card_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
certificatePolicies = critical, @auth_policy
issuerAltName = dirName:issuer_dn
crlDistributionPoints = @auth_crl
authorityInfoAccess = OCSP;URI:http://ocsp-auth.jpki-test.example.invalid/ocsp/user-authentication
[ sign_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
certificatePolicies = critical, @sign_policy
issuerAltName = dirName:issuer_dn
crlDistributionPoints = @sign_crl
authorityInfoAccess = OCSP;URI:http://ocsp-sign.jpki-test.example.invalid/ocsp/digital-signature
[ auth_policy ]
policyIdentifier = 1.3.6.1.4.1.55555.8.5.1.3.10
CPS.1 = http://www.jpki-test.example.invalid/cps/user-authentication/index.html
userNotice.1 = @auth_notice
[ auth_notice ]
explicitText = "UTF8:This is a test certificate for user authentication in the Techo software card. It stands in for a JPKI user-authentication certificate and has no legal effect."
[ sign_policy ]
policyIdentifier = 1.3.6.1.4.1.55555.8.5.1.3.11
CPS.1 = http://www.jpki-test.example.invalid/cps/digital-signature/index.html
userNotice.1 = @sign_notice
[ sign_notice ]
explicitText = "UTF8:This is a test certificate for digital signatures in the Techo software card. It stands in for a JPKI digital-signature certificate and has no legal effect."
[ issuer_dn ]
C = JP
O = Techo Test
OU = JPKI Test Certification Authority for Software Cards
[ auth_crl ]
URI.1 = http://crl-auth.jpki-test.example.invalid/crl/user-authentication/partitioned/crl-0001.crl
URI.2 = ldap://ldap-auth.jpki-test.example.invalid/cn=CRL0001,ou=User%20Authentication%20CA,o=JPKI%20Test,c=JP?certificateRevocationList
[ sign_crl ]
URI.1 = http://crl-sign.jpki-test.example.invalid/crl/digital-signature/partitioned/crl-0001.crl
URI.2 = ldap://ldap-sign.jpki-test.example.invalid/cn=CRL0001,ou=Digital%20Signature%20CA,o=JPKI%20Test,c=JP?certificateRevocationList
[ ca_ext ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF

# An RSA-2048 private key as PKCS#8 DER.
rsa_key() {
  [ -s "$1" ] && return 0
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null |
    openssl pkcs8 -topk8 -nocrypt -outform DER -out "$1"
}

make_ca() { # dir, common name[, organisational unit]
  mkdir -p "$1"
  [ -s "$1/ca.crt.der" ] && return 0
  rsa_key "$1/ca.key.der"
  openssl req -new -x509 -key "$1/ca.key.der" -keyform DER -sha256 -days 7300 \
    -subj "/C=JP/O=Techo Test/OU=${3:-JPKI User Authentication CA (test)}/CN=$2" \
    -extensions ca_ext -config "$work/ca.cnf" -outform DER -out "$1/ca.crt.der"
}

# A key and a certificate for one card: ca dir, card dir, serial, start, end, file prefix,
# extensions, subject.
issue() {
  mkdir -p "$2"
  : > "$work/index.txt"
  printf '%s\n' "$3" > "$work/serial"
  rsa_key "$2/$6.key.der"
  openssl req -new -utf8 -key "$2/$6.key.der" -keyform DER -subj "$8" -out "$work/card.csr"
  openssl x509 -in "$1/ca.crt.der" -inform DER -out "$work/ca.pem"
  openssl pkey -in "$1/ca.key.der" -inform DER -out "$work/ca.key.pem"
  openssl ca -batch -utf8 -config "$work/ca.cnf" -cert "$work/ca.pem" -keyfile "$work/ca.key.pem" \
    -in "$work/card.csr" -startdate "$4" -enddate "$5" -extensions "$7" -notext \
    -out "$work/card.pem" 2>/dev/null
  openssl x509 -in "$work/card.pem" -outform DER -out "$2/$6.crt.der"
}

make_card() { # ca dir, card dir, serial, start, end
  issue "$1" "$2" "$3" "$4" "$5" auth card_ext "/C=JP/O=JPKI Test/OU=Techo test card/CN=TEST-$3"
}

# The signing certificate (署名用電子証明書) names the holder, as the real one does.
make_signing() { # card dir, serial, holder name
  issue ca-sign "$1" "$2" 20240101000000Z 20290101000000Z sign sign_ext \
    "/C=JP/O=JPKI Test/OU=Techo test signing certificate/CN=$3"
}

# Signing certificates, added later under their own CA: `make_test_cards.sh signing`.
signing_cards() {
  make_ca ca-sign "Techo Test JPKI Signing CA" "JPKI Digital Signature CA (test)"
  make_signing yamada 3001 "山田 太郎"
}

# Guardian cards, added later under the same CA: `make_test_cards.sh guardians` adds only these.
guardian_cards() {
  make_card ca nakamura-child 1008 20240101000000Z 20310101000000Z
  make_card ca ito-parent 1010 20240101000000Z 20310101000000Z
}

if [ "${1:-}" = signing ]; then
  signing_cards
  echo "signing certificates written to fixtures/cards"
  exit 0
fi
if [ "${1:-}" = guardians ]; then
  guardian_cards
  echo "guardian test cards written to fixtures/cards"
  exit 0
fi
make_ca ca "Techo Test JPKI CA"
make_ca rogue-ca "Not The JPKI CA"
make_card ca yamada 1001 20240101000000Z 20310101000000Z
make_card ca sato-last-try 1002 20240101000000Z 20310101000000Z
make_card ca ito-blocked 1003 20240101000000Z 20310101000000Z
make_card ca old-cert 1004 20190101000000Z 20240101000000Z
make_card ca tanaka-long-record 1012 20240101000000Z 20310101000000Z
# 山田's smartphone certificate (スマホ用電子証明書): its own key and serial under the same CA.
issue ca yamada-smartphone 1020 20250601000000Z 20300601000000Z auth card_ext \
  "/C=JP/O=JPKI Test/OU=Techo test smartphone certificate/CN=TEST-1020"
guardian_cards
signing_cards
make_card rogue-ca rogue 2001 20240101000000Z 20310101000000Z
rm -rf rogue-ca
echo "test cards written to fixtures/cards"
