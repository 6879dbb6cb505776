"""A Stack Exchange data dump folder: its XML files, each streamed as row attributes."""
import os
import xml.etree.ElementTree as ElementTree

from forum.importers.common import ImportFailed


class Dump:
    """The folder's XML files, each read as a stream of ``row`` attribute dicts."""

    def __init__(self, folder, report):
        if not os.path.isdir(folder):
            raise ImportFailed(f"{folder} is not a folder.")
        self.folder, self.report = folder, report
        files = {name.lower(): name for name in os.listdir(folder)}
        self.files = {}
        for name in ("Posts", "Users", "Votes", "Comments", "Tags", "PostHistory"):
            actual = files.get(f"{name.lower()}.xml")
            if actual:
                self.files[name] = os.path.join(folder, actual)
        if "Posts" not in self.files:
            raise ImportFailed(f"{folder} holds no Posts.xml: not a Stack Exchange data dump folder "
                               "(expected Posts.xml, Users.xml, Votes.xml, Comments.xml, Tags.xml).")
        for name in ("Users", "Votes", "Comments"):
            if name not in self.files:
                report.note(f"{name}.xml not found: no {name.lower()} imported")

    def has(self, name):
        return name in self.files

    def rows(self, name):
        """Yield each row's attributes; a malformed file stops here with an error in the report."""
        path = self.files.get(name)
        if path is None:
            return
        root = None
        try:
            for event, element in ElementTree.iterparse(path, events=("start", "end")):
                if root is None:
                    root = element
                elif event == "end" and element.tag == "row":
                    yield dict(element.attrib)
                    root.clear()  # keep memory flat: drop the rows already read
        except ElementTree.ParseError as error:
            line, column = error.position
            self.report.errors.append(f"{name}.xml is not well-formed XML at line {line}, column {column}; "
                                      "the rows after it were not read (the rows before it were imported)")
        except OSError as error:
            self.report.errors.append(f"{name}.xml could not be read: {error.strerror}")

    def count(self, name):
        """Rows in the file, by a quick scan (for the progress bar)."""
        path = self.files.get(name)
        if path is None:
            return 0
        with open(path, "rb") as handle:
            return sum(chunk.count(b"<row ") for chunk in iter(lambda: handle.read(1 << 20), b""))
