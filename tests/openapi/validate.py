"""Validates an OpenAPI document (the file named by the first argument)
with the PyPI package openapi-spec-validator; prints `ok` or the error."""

import sys

from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename


def main() -> int:
    document, _ = read_from_filename(sys.argv[1])
    try:
        validate(document)
    except Exception as error:  # noqa: BLE001 - report whatever the validator finds
        print(f"invalid: {error}")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
