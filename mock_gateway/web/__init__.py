"""The pages the mock serves to browsers: the hosted KTP Scan flow behind the launchUrl, and the dashboard."""
