package dev.goingaway.it;

import java.io.File;

import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.importer.ZipImporter;
import org.jboss.shrinkwrap.api.spec.WebArchive;

/** The archive Arquillian deploys: the WAR the build produced, exactly as shipped. */
final class Deployments {

    private Deployments() {
    }

    static WebArchive war() {
        return ShrinkWrap.create(ZipImporter.class, "goingaway.war")
                .importFrom(new File(System.getProperty("it.war")))
                .as(WebArchive.class);
    }
}
