"""The form's page: a printed Form 3, 4 or 5 is US letter. A PDF whose page has the form's
shape at another size (an image embedded without its resolution, a PDF printed to scale) is
read in the form's frame, so that every threshold in points or pixels means what it means on
the form."""

from __future__ import annotations

# The form's own page, in points: US letter, portrait or landscape. A scan whose page is the
# form's shape at another size (an image embedded without its resolution: tesseract's 70 ppi
# default makes a 150 dpi letter scan a page 2.14 times letter) is read in the form's frame.
FORM_PAGE_POINTS = (612.0, 792.0)
# How far a page's shape may be from the form's and still be the form scaled, and how far its
# size must be from the form's before it is rescaled at all (A4, legal and a scanner's cropping
# stay as printed: the readers' tolerances absorb them).
FORM_SHAPE_TOLERANCE = 0.03
FORM_RESCALE_MIN = 0.10


def form_scale(width: float, height: float) -> float:
    """Form points per PDF point: 1 for a page of about the form's size or of another shape;
    for a page of the form's shape at another size (0.5 to 3 times, or more), the factor that
    makes it the form's size."""
    if width <= 0 or height <= 0:
        return 1.0
    short, long = sorted(FORM_PAGE_POINTS)
    page_short, page_long = sorted((width, height))
    if abs((page_short / page_long) / (short / long) - 1) > FORM_SHAPE_TOLERANCE:
        return 1.0
    scale = short / page_short
    return scale if abs(scale - 1) > FORM_RESCALE_MIN else 1.0
