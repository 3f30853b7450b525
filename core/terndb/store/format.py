"""Every on-disk constant of the TernDB format, in one place (see docs/FORMAT.md).

Changing any value here changes the file format: bump FORMAT_VERSION and teach
the reader the old layout, or existing databases become unreadable.
"""

FORMAT_NAME = "terndb"
FORMAT_VERSION = 1          # the version this code writes; readers accept <= this

PAGE_SIZE = 4096            # bytes per page; all backends use the same size

# Page header (every page): crc32 | kind | version | reserved | next | length
PAGE_HEADER = 16
PAGE_PAYLOAD = PAGE_SIZE - PAGE_HEADER
KIND_HEAD = 1               # first page of a blob; `length` is the blob's byte length
KIND_MORE = 2               # continuation page of a blob; `length` is 0

FIRST_PAGE = 2              # pages 0 and 1 are the file backend's two root slots

# Root slot (file backend): magic | seq u64 | length u32 | crc32 u32 | record
SLOT_MAGIC = b"TernDB\x00\x01"
SLOT_HEADER = 24
SLOT_SIZE = PAGE_SIZE       # a root record may use up to SLOT_SIZE - SLOT_HEADER bytes
MAX_ROOT_RECORD = SLOT_SIZE - SLOT_HEADER

MAX_INLINE_FREE = 200       # free page numbers kept in the root record itself
FREE_CHUNK = 1000          # free page numbers per spilled free-list page (u32 each)

# A stored B-tree node fits in one page (PAGE_PAYLOAD bytes of JSON) unless it
# holds a single entry too large for a page, which then spans a blob chain.

# Node kinds inside a blob's JSON: [kind, ...]
NODE_TABLE_LEAF = 0
NODE_INDEX_LEAF = 1
NODE_INNER = 2
