// Every test here shares one AppHost (PostgreSQL, Redis, RabbitMQ and four services) and one Chromium:
// on two cores a second stack would only slow the first, so the tests run one after the other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
[assembly: TestCollectionOrderer(FlexWhere.EndToEndTests.SharedStackFirst.TypeName, FlexWhere.EndToEndTests.SharedStackFirst.AssemblyName)]
