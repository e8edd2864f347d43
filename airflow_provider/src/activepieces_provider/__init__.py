"""Apache Airflow provider for Activepieces tenant projects."""
