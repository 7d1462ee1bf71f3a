"""A SoftHSM2 token (Debian's softhsm2) standing in for a hardware security module or a
smart card, for the tests of signing with a key that never leaves its token."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pkcs11 import Attribute, KeyType
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters
from pkcs11.util.x509 import decode_x509_certificate

MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")


@dataclass(frozen=True)
class Hsm:
    module: str
    label: str
    pin: str

    def _open(self) -> pkcs11.Session:
        token = pkcs11.lib(self.module).get_token(token_label=self.label)
        return token.open(user_pin=self.pin, rw=True)

    def new_key(self, label: str) -> ec.EllipticCurvePublicKey:
        """A P-256 key pair made on the token; the public key."""
        with self._open() as session:
            params = session.create_domain_parameters(
                KeyType.EC,
                {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                local=True,
            )
            public, _private = params.generate_keypair(store=True, label=label)
            key = load_der_public_key(encode_ec_public_key(public))
            assert isinstance(key, ec.EllipticCurvePublicKey)
            return key

    def store_certificate(self, label: str, certificate: x509.Certificate) -> None:
        from cryptography.hazmat.primitives.serialization import Encoding

        attributes = decode_x509_certificate(certificate.public_bytes(Encoding.DER))
        attributes.update({Attribute.LABEL: label, Attribute.TOKEN: True})
        with self._open() as session:
            session.create_object(attributes)


def start_hsm(folder: Path) -> Hsm:
    """A new token in the folder. SoftHSM2 reads its configuration once, when the library
    is first loaded in the process, so a test run uses one token, made before that."""
    util = shutil.which("softhsm2-util")
    assert util and MODULE.exists(), "softhsm2 is missing: `make setup` installs it"
    tokens = folder / "tokens"
    tokens.mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    hsm = Hsm(str(MODULE), "mlat-tests", "4711")
    subprocess.run(
        [util, "--init-token", "--free", "--label", hsm.label, "--pin", hsm.pin,
         "--so-pin", "0815"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return hsm
