"""Signing cost per PAdES level, with a software key and a SoftHSM2 token; stamp cost.

    .venv/bin/python bench/bench_signing.py [--repeat 10]

Uses the demo PKI (its TSA, OCSP and CRL served on loopback, as in demo mode).  Prints the median
milliseconds per signature for B-B, B-T, B-LT and B-LTA with each key — as the service signs (one
event loop and HTTP session, revocation data reused until its nextUpdate) against the baseline of a
fresh loop, session and fetch per signature — and the extra cost of a
visible TW-Kai stamp with the cached subset (``StampFont``) against pyHanko's stock way, which
reads and subsets the whole TW-Kai font for every signature — both measured in this run.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from forms_service.observe.console import hide_library_warnings  # noqa: E402

hide_library_warnings()  # the bench's console shows its own lines, as the service's does

from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory  # noqa: E402
from pyhanko.pdf_utils.text import TextBoxStyle  # noqa: E402
from pyhanko.stamp import TextStampStyle  # noqa: E402

from forms_service.components import start_components  # noqa: E402
from forms_service.convert.fonts import font_file  # noqa: E402
from forms_service.forms import example_input  # noqa: E402
from forms_service.produce.render import render_docx  # noqa: E402
from forms_service.settings import Settings  # noqa: E402
from signing import Level, Pkcs11Provider, SignatureOptions, Stamp, sign_pdf  # noqa: E402
from tests.softhsm import make_token  # noqa: E402


def median_ms(action, repeat: int) -> float:
    action()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


class StockStampFont:
    """pyHanko's stock approach: the whole TW-Kai file behind every stamp."""

    def __init__(self, path: str):
        self.path = path

    def style(self, text: str) -> TextStampStyle:
        return TextStampStyle(stamp_text="%(stamp)s", border_width=1,
                              text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(self.path, font_size=9)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="forms-bench-") as tmp:
        settings = Settings.load(environ={}, data_dir=Path(tmp) / "data", converter_workers=1)
        with start_components(settings, with_archive=False) as components:
            producer = components.producer
            spec, form = producer.validate("annex2-agreement", example_input("annex2-agreement"))
            pdf = components.converter.convert(
                render_docx(components.templates.load(spec), spec.render_context(form, producer.options)))
            crl_url = components.signing.tsa_url.rsplit("/tsa/", 1)[0] + "/crls/interm/latest.crl"
            token = make_token(Path(tmp) / "softhsm", demo_pki_dir=settings.data_dir / "pki", crl_url=crl_url)
            keys = {
                "software (PKCS#12)": components.signer,
                "SoftHSM2 (PKCS#11)": Pkcs11Provider(module=token.module, token_label=token.label,
                                                     key_label=token.key_label, pin=token.pin),
            }
            print(f"signing cost per level, median of {args.repeat} (ms)")
            print(f"  {'key':22s}" + "".join(f"{level.value:>9s}" for level in Level))
            fresh = dataclasses.replace(components.signing, loop=None, revocation=None)
            for name, provider in keys.items():
                signer = provider.signer()
                rows = {}
                for how, context in (("shared, cached", components.signing), ("fresh each (baseline)", fresh)):
                    rows[how] = [median_ms(functools.partial(sign_pdf, pdf, signer, SignatureOptions(level=level),
                                                             context), args.repeat) for level in Level]
                    print(f"  {name:22s}" + "".join(f"{ms:9.0f}" for ms in rows[how]) + f"   {how}")
                ratios = [base / max(ours, 0.001) for ours, base in zip(rows["shared, cached"],
                                                                        rows["fresh each (baseline)"], strict=True)]
                print(f"  {'':22s}" + "".join(f"{r:8.1f}×" for r in ratios) + "   faster than the baseline")

            signer = components.signer.signer()
            stamp = Stamp(lines=("簽署人：DEMO 簽章", "機關：臺北市政府財政局", "時間：中華民國115年11月27日 10:00"))
            plain = median_ms(lambda: sign_pdf(pdf, signer, SignatureOptions(), components.signing), args.repeat)
            cached = median_ms(lambda: sign_pdf(pdf, signer, SignatureOptions(stamp=stamp), components.signing),
                               args.repeat)
            stock_context = dataclasses.replace(components.signing, stamp_font=StockStampFont(font_file("TW-Kai")))
            stock = median_ms(lambda: sign_pdf(pdf, signer, SignatureOptions(stamp=stamp), stock_context),
                              max(3, args.repeat // 3))
            print("visible TW-Kai stamp, B-B, median (ms)")
            print(f"  no stamp {plain:6.0f}   cached subset {cached:6.0f} (+{cached - plain:.0f})   "
                  f"stock whole font {stock:6.0f} (+{stock - plain:.0f})   "
                  f"→ {(stock - plain) / max(cached - plain, 1):.0f}× less extra")


if __name__ == "__main__":
    main()
