"""Every size limit of a contact, in one place (decisions.md §10).

The models, the API serializer, the site form and the schema all read these numbers, so a
limit is changed here or nowhere.
"""

MAX_ITEMS = 50  # emails, phones, addresses: per request (else 400) and per contact (else skipped)
MAX_LABELS_PER_REQUEST = 50
MAX_EXTENDED_FIELDS_PER_REQUEST = 100

NAME_PART = 100
COMPANY = 200
JOB_TITLE = 200
LOCALE = 35
URL = 2048
EMAIL = 254
PHONE = 50
COUNTRY_CODE = 2
ADDRESS_LINE = 200
STREET_NUMBER = 20
CITY = 100
SUBDIVISION = 10
POSTAL_CODE = 20
FORMATTED_ADDRESS = 500
LABEL_KEY = 80
LABEL_DISPLAY_NAME = 180
FIELD_KEY = 80
FIELD_DISPLAY_NAME = 150
EXTENDED_TEXT = 1000
MESSAGE = 5000

# A request body: its size is DATA_UPLOAD_MAX_MEMORY_SIZE (settings, 256 KiB); its JSON may nest
# this deep (a valid ContactInfo nests 5 levels: body → addresses → item → address → location).
JSON_MAX_DEPTH = 20

PHONE_MIN_DIGITS = 7
PHONE_MAX_DIGITS = 15
