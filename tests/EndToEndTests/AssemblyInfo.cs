// Each AppHost starts PostgreSQL, Redis, RabbitMQ and four services: on two cores, two at once
// only slow each other down, so the collections here run one after the other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
