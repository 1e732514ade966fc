#!/usr/bin/env python3
"""The SMTP sink's own ceiling: N copies of one message pushed by smtplib over one
connection, as fast as the sink takes them. Prints messages per second."""
import smtplib
import sys
import time

port, count, message_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
message = open(message_file, "rb").read()
smtp = smtplib.SMTP("127.0.0.1", port)
started = time.perf_counter()
for i in range(count):
    smtp.sendmail("procedures@example.org", [f"ceiling{i}@example.org"], message)
elapsed = time.perf_counter() - started
smtp.quit()
print(f"{count} {elapsed:.3f} {count / elapsed:.1f}")
