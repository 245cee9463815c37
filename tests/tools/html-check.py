#!/usr/bin/python3
"""html-check.py - checks of tbx's report page for tests/e2e/t51-report-html.sh.

usage:
  html-check.py structure PAGE    strict HTML5 parse (html5lib), every inline
                                  SVG well-formed XML, no remote URL loaded
  html-check.py elements PAGE [--after-script]
                                  every element and attribute one the page
                                  writer uses (its script's too with
                                  --after-script): nothing injected by a record
  html-check.py numbers MATRIX.md DOM
                                  every number of the Markdown matrix's tables
                                  is in the DOM's text
  html-check.py png FILE W        a PNG W pixels wide that is not blank

Exits 0 when the check holds, 1 with one line per problem on stderr, 2 on
bad usage.  Needs Debian's python3-html5lib (run with /usr/bin/python3).
"""
import re
import struct
import sys
import xml.dom.minidom
import zlib

import html5lib

SVG_NS = "http://www.w3.org/2000/svg"
HTML_NS = "http://www.w3.org/1999/xhtml"

# what src/report_html.c and src/svg.c write
PAGE_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p",
    "nav", "ul", "li", "a", "main", "section", "div", "table", "caption", "thead",
    "tbody", "tr", "th", "td", "strong", "span", "br", "details", "summary", "dl", "dt",
    "dd", "figure", "figcaption", "footer", "script", "svg", "rect", "text", "line",
    "path", "polyline", "circle", "g",
}
PAGE_ATTRS = {
    "lang", "charset", "name", "content", "href", "id", "class", "aria-label",
    "aria-labelledby", "role", "tabindex", "scope", "title", "data-v", "data-series",
    "xmlns", "width", "height", "viewBox", "viewbox", "font-family", "font-size", "x",
    "y", "x1", "y1", "x2", "y2", "fill", "stroke", "stroke-width", "stroke-opacity",
    "points", "d", "r", "cx", "cy", "text-anchor", "font-weight", "transform",
}
# what the page's script adds (sort buttons, chart toggles)
SCRIPT_TAGS = {"button", "fieldset", "legend", "label", "input"}
SCRIPT_ATTRS = {"type", "aria-sort", "style"}
URL_ATTRS = {"src", "href", "srcset", "poster", "data", "action", "formaction",
             "background", "cite", "longdesc", "manifest", "ping", "xlink:href"}
REMOTE = re.compile(r"^\s*(https?:|//|ftp:)", re.I)
CSS_URL = re.compile(r"url\s*\(|@import", re.I)

problems = []


def problem(msg):
    problems.append(msg)


def local_name(tag):
    return tag.split("}", 1)[1] if tag.startswith("{") else tag


def attr_name(key):
    """"title", or "xlink:href" for {http://www.w3.org/1999/xlink}href"""
    if key.startswith("{"):
        ns, name = key[1:].split("}", 1)
        if ns.endswith("/xmlns/"):
            return name  # xmlns
        return ("xlink:" if ns.endswith("/xlink") else ns + ":") + name
    return key


def parse(path, strict):
    with open(path, "rb") as f:
        data = f.read()
    parser = html5lib.HTMLParser(strict=strict, namespaceHTMLElements=True)
    try:
        doc = parser.parse(data)
    except html5lib.html5parser.ParseError as e:
        pos = parser.errors[0][0] if parser.errors else "?"
        problem("%s: not valid HTML5 (html5lib strict): %s at line/column %s" % (path, e, pos))
        return None, data
    return doc, data


def check_structure(path):
    doc, data = parse(path, strict=True)
    if doc is None:
        return
    # every inline SVG, as written, is well-formed XML on its own
    text = data.decode("utf-8")
    svgs = re.findall(r"<svg[ >].*?</svg>", text, re.S)
    for i, svg in enumerate(svgs):
        try:
            xml.dom.minidom.parseString(svg.encode("utf-8"))
        except Exception as e:  # expat's ExpatError and friends
            problem("%s: inline SVG %d is not well-formed XML: %s" % (path, i + 1, e))
    n_svg = sum(1 for el in doc.iter() if el.tag == "{%s}svg" % SVG_NS)
    if n_svg != len(svgs):
        problem("%s: %d svg elements parsed, %d found in the text" % (path, n_svg, len(svgs)))
    # nothing loaded from elsewhere
    for el in doc.iter():
        name = local_name(el.tag) if isinstance(el.tag, str) else ""
        for key, value in el.attrib.items():
            a = attr_name(key)
            if a in URL_ATTRS and REMOTE.match(value):
                problem("%s: <%s %s=\"%s\"> loads a remote URL" % (path, name, a, value))
            if a in URL_ATTRS and name != "a" and value and not value.startswith("#"):
                problem("%s: <%s %s=\"%s\"> loads a file" % (path, name, a, value))
            if a == "style" and CSS_URL.search(value):
                problem("%s: <%s style> loads a URL" % (path, name))
        if name == "link":
            problem("%s: a <link> element (stylesheets and fonts must be inline)" % path)
        if name == "style" and CSS_URL.search(el.text or ""):
            problem("%s: the stylesheet loads a URL (url() or @import)" % path)
        if name == "script" and el.get("src") is not None:
            problem("%s: an external script" % path)
        if name == "meta" and (el.get("http-equiv") or "").lower() == "refresh":
            problem("%s: a meta refresh" % path)


def check_elements(path, after_script):
    doc, _ = parse(path, strict=False)
    tags = PAGE_TAGS | (SCRIPT_TAGS if after_script else set())
    attrs = PAGE_ATTRS | (SCRIPT_ATTRS if after_script else set())
    scripts = 0
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue  # comments
        name = local_name(el.tag)
        if name not in tags:
            problem("%s: element <%s> that the page writer never writes" % (path, name))
        if name == "script":
            scripts += 1
        for key in el.attrib:
            a = attr_name(key)
            if a not in attrs:
                problem("%s: attribute %s on <%s> that the page writer never writes" % (path, a, name))
    if scripts != 1:
        problem("%s: %d script elements (the page has one)" % (path, scripts))


def text_of(path):
    doc, _ = parse(path, strict=False)
    return " ".join(t for t in doc.itertext())


def check_numbers(matrix, dom):
    with open(matrix, encoding="utf-8") as f:
        md = f.read()
    text = text_of(dom)
    numbers = set()
    for line in md.splitlines():
        if not line.startswith("|") or line.startswith("|---"):
            continue
        for cell in line.split("|")[2:]:  # not the model's name
            cell = re.sub(r"<sub>.*?</sub>", "", cell)  # digests and builds: checked apart
            numbers.update(re.findall(r"[-+]?\d+\.\d+%?", cell))
    if not numbers:
        problem("%s: no number in the matrix" % matrix)
    missing = sorted(n for n in numbers if n not in text)
    for n in missing:
        problem("%s: %s of the matrix is not in the page" % (dom, n))
    print("%d numbers of the matrix, %d missing" % (len(numbers), len(missing)))


def png_pixels(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, head = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = head
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype)
    if depth != 8 or not channels or interlace:
        raise ValueError("unsupported PNG (depth %d, colour type %d)" % (depth, ctype))
    raw = zlib.decompress(idat)
    stride = w * channels
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, channels, rows


def check_png(path, want_width):
    try:
        w, h, ch, rows = png_pixels(path)
    except (OSError, ValueError, zlib.error, TypeError, struct.error) as e:
        problem("%s: cannot read the PNG: %s" % (path, e))
        return
    if w != want_width:
        problem("%s: %d pixels wide, not %d" % (path, w, want_width))
    # luminance of every 4th pixel of every 4th row
    lum = []
    colours = set()
    for y in range(0, h, 4):
        row = rows[y]
        for x in range(0, w, 4):
            px = row[x * ch:x * ch + ch]
            v = px[0] if ch < 3 else (299 * px[0] + 587 * px[1] + 114 * px[2]) // 1000
            lum.append(v)
            colours.add(bytes(px[:3]))
    mean = sum(lum) / len(lum)
    var = sum((v - mean) ** 2 for v in lum) / len(lum)
    dark = sum(1 for v in lum if v < 128) / len(lum)
    print("%s: %dx%d, luminance variance %.1f, %.2f%% dark, %d colours"
          % (path, w, h, var, dark * 100, len(colours)))
    if var < 50 or dark < 0.005 or len(colours) < 8:
        problem("%s: blank (variance %.1f, %.2f%% dark, %d colours)"
                % (path, var, dark * 100, len(colours)))


def main(argv):
    if len(argv) >= 3 and argv[1] == "structure":
        for path in argv[2:]:
            check_structure(path)
    elif len(argv) in (3, 4) and argv[1] == "elements":
        check_elements(argv[2], argv[3:] == ["--after-script"])
    elif len(argv) == 4 and argv[1] == "numbers":
        check_numbers(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "png":
        check_png(argv[2], int(argv[3]))
    else:
        sys.stderr.write(__doc__)
        return 2
    for p in dict.fromkeys(problems):  # each once, in order
        sys.stderr.write("html-check: %s\n" % p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
