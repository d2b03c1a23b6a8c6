# syntax=docker/dockerfile:1
# form4-stream: the exactly-once Form 3/4/5 stream processor.
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir --upgrade pip build
COPY pyproject.toml README.md ./
COPY consumers ./consumers
COPY schemas ./schemas
COPY tests/fixtures/sample ./tests/fixtures/sample
RUN python -m build --wheel --outdir /dist

FROM python:3.11-slim AS runtime
LABEL org.opencontainers.image.title="form4-stream" \
      org.opencontainers.image.description="Exactly-once Kafka processor: SEC Forms 3/4/5 to Avro records" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://example.invalid/form4-stream"
# tesseract-ocr brings the English model that tesserocr (a Python dependency) re-reads scanned
# (image + OCR text layer) PDFs with, cell by cell; without it scans are
# read from their text layer alone and mostly refused.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --home-dir /app --create-home form4
COPY --from=build /dist/*.whl /tmp/
RUN pip install --no-cache-dir /tmp/*.whl && rm -f /tmp/*.whl
USER 10001
WORKDIR /app
ENV FORM4_METRICS_HOST=0.0.0.0 \
    FORM4_METRICS_PORT=9108 \
    PYTHONUNBUFFERED=1
EXPOSE 9108
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os,urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('FORM4_METRICS_PORT', '9108'), timeout=2)"]
ENTRYPOINT ["form4"]
CMD ["run"]
