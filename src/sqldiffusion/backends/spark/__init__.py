"""Apache Spark: the network as Spark SQL (`--engine spark`)."""
