package dev.goingaway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EnvelopeTest {

    private static Jsonb jsonb;

    @BeforeAll
    static void create() {
        jsonb = JsonbBuilder.create();
    }

    @AfterAll
    static void close() throws Exception {
        jsonb.close();
    }

    @Test
    void roomEnvelopeSurvivesTheWireWithItsFrameUntouched() {
        String frame = "{\"type\":\"message\",\"room\":\"r1\",\"from\":\"s\",\"text\":\"caf\u00e9 \\\"quoted\\\" \\u2603\",\"ts\":1}";
        Envelope sent = new Envelope(Envelope.ROOM, "blue#1234", "r1", frame, null, null, 0, "e1", 42);
        Envelope got = jsonb.fromJson(jsonb.toJson(sent), Envelope.class);
        assertEquals(sent, got, "a room envelope reads back equal, frame text byte for byte");
    }

    @Test
    void deliveredReplyKeepsItsCountAndAddressee() {
        Envelope sent = Envelope.delivered("green#1", "blue#2", "id-7", 4321);
        Envelope got = jsonb.fromJson(jsonb.toJson(sent), Envelope.class);
        assertEquals(4321, got.count(), "count of sessions reached");
        assertEquals("blue#2", got.to(), "the node the reply is for");
        assertEquals("id-7", got.id(), "the broadcast it answers");
    }

    @Test
    void originComesFirstSoAReceiverKnowsItsOwnByThePrefix() {
        String json = jsonb.toJson(Envelope.delivered("blue#1", "green#2", "id", 1));
        assertTrue(json.startsWith("{\"origin\":\"blue#1\","), "origin is the first field: " + json);
    }

    @Test
    void absentFieldsAreLeftOutOfTheWireForm() {
        Envelope sent = Envelope.delivered("a", "b", "id", 3);
        String json = jsonb.toJson(sent);
        assertFalse(json.contains("\"room\""), "no null fields on the wire: " + json);
        assertEquals(sent, jsonb.fromJson(json, Envelope.class),
                "missing fields read back as null and 0");
    }
}
